"""Da Vinci CRD 2.0.1 for the payer: CDS Hooks discovery and the order-sign, order-select and
appointment-book services, answered from necessity's review of the orders (``services``: what is offered;
``record``: the patient's record from prefetch or the client's FHIR server; ``orders``: the orders as
lines of a review; ``answer``: the coverage information and the cards)."""
