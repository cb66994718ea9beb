"""Reference data shared by tasks and models without either importing the other (label lists)."""
