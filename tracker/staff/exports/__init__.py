"""Exports for staff: the filtered recommendations list as CSV and XLSX, a response as "What we
understood you to recommend" (Word), and a consultation report (Word and a printable page)."""
