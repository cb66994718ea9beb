"""One module per backend engine; :mod:`greenbench.models.registry` maps kinds to them."""
