"""Forecasting and replenishment maths on whole arrays (series × days); no I/O here."""
