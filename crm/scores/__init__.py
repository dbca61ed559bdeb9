"""Fan scores computed from the CRM's own records: churn risk, upsell readiness, engagement."""
