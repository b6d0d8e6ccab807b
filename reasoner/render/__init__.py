"""Renderers: a Review as JSON (the contract other tools read) or as a text table for people."""

REVIEWER_NOTICE = ("Decision support, not a decision: a licensed reviewer decides. Every status above shows "
                   "the evidence it rests on.")
