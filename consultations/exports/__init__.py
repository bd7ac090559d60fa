"""Exports for staff, without Flask: the filtered recommendations list as rows for CSV and XLSX
(``rows``, ``spreadsheets``, ``xlsx``), a response as the Word document "What we understood you to
recommend" (``understood``) and a consultation report's figures and Word document (``report``).

Each reads through the session it is given, in a fixed number of queries per batch of rows,
and never commits; the staff views in ``tracker.staff.exports`` only choose and stream.
"""
