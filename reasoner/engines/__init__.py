"""Inference engines. ``reference`` closes the knowledge and one claim's facts together with owlrl
(the definition of right); ``fast`` applies the OWL 2 RL rules the knowledge uses, compiled once
from the knowledge closed by the reference, to the claim's facts only, and returns their entailments.
"""
