"""Inference engines: each takes the knowledge and one claim's facts and returns the closed graph."""
