"""Forms validate input and say what is wrong next to the field; services do the saving."""
