/*
 * The applet table, an X-macro list: APPLET(name, c_name, usage, help).
 * Keep it sorted by name. Adding an applet is one line here plus
 * applets/c_name.c defining `int c_name_main(int argc, char **argv)`.
 */
