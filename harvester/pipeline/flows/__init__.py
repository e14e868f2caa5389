"""Report flows as persisted state machines: the `report_job` row is the truth, each task one step."""
