from metamed.cli import main

main()
