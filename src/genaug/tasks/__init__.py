"""Downstream tasks (chapter 6): a model and its train/evaluate harness, one task a file.

Each harness follows the course's experiment protocol (DESIGN.md, "Experiments"):
paired seeds that redraw the data, the generator and the synthetic set; equal real
exposure per step; a same-total-batch control. The first task, image
classification, arrives with the augmentation scoreboard.
"""
