from evolution_py.cli import main

main()
