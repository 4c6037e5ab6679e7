"""SLA: the agreement between marketing and sales, its clocks and its planner."""
