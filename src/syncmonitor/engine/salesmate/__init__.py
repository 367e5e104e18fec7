"""Salesmate sequence states, imported from Salesmate's enrolment exports."""
