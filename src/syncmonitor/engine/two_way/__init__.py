"""The two-way sync: records out to Outreach (outbound), tasks and calls back into Workbooks
(inbound), the scope filters, conflicts and the delete hazard."""
