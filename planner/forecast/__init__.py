"""Demand forecasting on whole arrays (series × periods): methods, auto selection, edits."""
