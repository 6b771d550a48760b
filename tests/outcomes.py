"""A FactoryOutcome that is awkward to store and give back exactly.

A name with a tab, a backslash and a line break; figures from 5e-324 to 1e20; float
noise (0.1 + 0.2); months not reported; no longitude.
"""

from audits.engine import FactoryOutcome


def awkward_outcome(code: str, **changes) -> FactoryOutcome:
    values = dict(
        factory_id=code,
        sector="Steel",
        factory_name="Works\twith a tab, a \\ backslash\nand a line break",
        country="Italy",
        latitude=45.5,
        longitude=None,
        monthly_emissions_kg=(1.5, None, 0.1 + 0.2, *([None] * 8), 5e-324),
        production_kg=1.0,
        energy_kg=1e-300,
        material_kg=0.0,
        total_emissions_kg=123456789.123456789,
        carbon_cap_kg=90_000_000.0,
        status="EXCEEDED",
        first_breach_month=None,
        alerts_count=0,
        months_reported=3,
        projected_annual_kg=1e20,
        max_monthly_emissions_kg=0.30000000000000004,
        avg_monthly_emissions_kg=2.5,
    )
    values.update(changes)
    return FactoryOutcome(**values)
