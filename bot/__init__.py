"""The Slack bot: a Bolt app built from the services, Block Kit builders, console rendering."""
