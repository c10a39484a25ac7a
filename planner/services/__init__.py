"""Use cases: each step of the daily cycle, callable from the CLI, the scheduler and the bot."""
