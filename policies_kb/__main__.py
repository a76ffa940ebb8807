from policies_kb.cli import app

app(prog_name="python -m policies_kb")
