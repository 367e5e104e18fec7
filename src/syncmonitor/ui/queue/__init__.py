"""The mailshot queue page: the live queue, a mailshot's detail and Fix name."""
