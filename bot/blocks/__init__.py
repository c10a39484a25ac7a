"""Block Kit builders: pure functions from planner's data to Slack message blocks."""
