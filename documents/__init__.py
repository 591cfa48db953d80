"""PDF documents built with ReportLab."""
