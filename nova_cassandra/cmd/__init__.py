import warnings

# cassandra-driver imports its eventlet reactor at import time to see whether
# eventlet is in use; eventlet warns about its own deprecation on import.
# Our commands never use eventlet: keep that warning out of their output.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
