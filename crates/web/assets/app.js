// salesos
