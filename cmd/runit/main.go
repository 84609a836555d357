// Command runit is process 1: it runs runit's three stages
// (/etc/runit/1, 2 and 3, or built-in ones where those do not exist),
// reaps every orphan, acts on runit's signals and shuts down, reboots or
// powers off; in a container it exits with the container's exit code.
package main

import "gorunit/stages"

func main() { stages.Main() }
