"""The domain: entities, value objects and rules of inventory planning (stdlib only)."""
