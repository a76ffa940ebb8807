"""Policy base: documents → measures, versions, hybrid search and enterprise matching."""


def __getattr__(name):  # lazy: ``from policies_kb import PolicyBase`` without importing FAISS up front
    if name == "PolicyBase":
        from policies_kb.base import PolicyBase

        return PolicyBase
    raise AttributeError(name)


__all__ = ["PolicyBase"]
