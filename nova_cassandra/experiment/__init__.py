"""The scheduler experiment: set-ups, request streams, measurements, report."""
