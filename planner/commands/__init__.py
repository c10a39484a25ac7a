"""Sub-commands of `planner`: each module registers its commands on `planner.cli.cli`.

planner.command_table names every command's module, so `planner --help` lists them and running
one imports only its module; planner.cli reads that table, never this package.
"""
