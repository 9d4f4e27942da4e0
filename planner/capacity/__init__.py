"""Capacity questions: hspace/hail-exact allocation, optimal capacity, hcheck, failures, purchase."""
