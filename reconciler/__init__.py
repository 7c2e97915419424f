"""flexctl: a declarative GitOps reconciler for Airbyte Enterprise Flex and self-managed Airbyte."""

__version__ = "0.1.0"
