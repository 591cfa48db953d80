"""Service numbers (seed 003): toll and toll-free numbers for conference bridges, auto
attendants and call queues, taken from the operator's inventory.

- `licences`: the account's telephony licences and the quota they give;
- `inventory`: the operator's stock of numbers per country, area and type (generated for
  the demo with phonenumbers, imported from CSV), and its search;
- `reservations`: holding numbers for a few minutes, acquiring some, releasing the rest;
- `owned`: the account's own service numbers.

Every change here runs under the account's lock (the customer blueprints take it) and
claims numbers with conditional UPDATEs, so that two customers never get the same number.
"""
