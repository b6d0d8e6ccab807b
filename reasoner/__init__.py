"""necessity: decides, and proves, whether each billing code on a claim is medically necessary.

The package is glue: knowledge lives in ``ontology/`` and ``kg/`` (Turtle), the decision in
``queries/`` (SPARQL), the inference in an OWL 2 RL engine. See ``reasoner.pipeline.determine``.
"""

__version__ = "0.1.0"
