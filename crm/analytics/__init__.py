"""The numbers service (revenue, spenders, subscriber flow, churn risk, response times, prices)."""
