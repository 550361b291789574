"""What RQ workers run: the calculation job and the statistics engine."""
