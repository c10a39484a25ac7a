"""Sub-commands of `planner`; importing this package registers them on the CLI group."""

import planner.commands.bot  # noqa: F401
from planner.commands import (  # noqa: F401
    amazon,
    catalog,
    cycle,
    db,
    demo,
    forecast,
    init,
    order,
    orders,
    plan,
    push,
    review,
    setup,
    supply,
)
