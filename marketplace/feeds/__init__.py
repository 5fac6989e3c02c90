"""Private iCalendar feeds: a household's deliveries, a volunteer's shifts, a group's days."""
