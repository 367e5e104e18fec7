"""The GatorMail mailshot queue: the monitor that polls Workbooks and Spotler, the fix and
cancel actions, the report and its wording, and its notices."""
