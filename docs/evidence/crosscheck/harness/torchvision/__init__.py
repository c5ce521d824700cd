"""Scratch stand-in for torchvision (PyPI's torchvision does not import beside the
local torch 2.13.0 CPU wheel). Kaixhin/PlaNet uses only utils.make_grid and
utils.save_image, for its test videos and images; learning does not touch it."""
