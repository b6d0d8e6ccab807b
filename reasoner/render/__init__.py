"""Renderers: a Review as JSON (the contract other tools read) or as a text table for people."""

REVIEWER_LINE = "Decision support, not a decision: a licensed reviewer decides."
REVIEWER_NOTICE = f"{REVIEWER_LINE} Every status above shows the evidence it rests on."
