"""``necessity api``: the Da Vinci PAS payer API over necessity's decisions, with a store and an audit trail."""
