"""Messages from a group's coordinators and its producers to a segment of its households."""
