"""Carbon-Trace audit engine: pure Python, no Django.

An upload goes: ``read_table`` -> ``clean_frame`` (ten steps) -> ``audit_frame`` (one
closure-based auditor per factory) -> ``summary_dict`` / ``write_summary_csv`` /
``render_emissions_chart``.
"""
