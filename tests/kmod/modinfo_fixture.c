/*
 * modinfo_fixture.c — an object with a .modinfo section laid out as kbuild
 * lays out a module's (NUL-separated key=value strings), for
 * read_module_vermagic() and the host tests of engine.kmod.index, where no
 * real module can be built or loaded. The vermagic is one no kernel has.
 */
__attribute__((section(".modinfo"), used, aligned(1))) static const char kestrel_fixture_license[] = "license=GPL";
__attribute__((section(".modinfo"), used, aligned(1))) static const char kestrel_fixture_vermagic[] =
    "vermagic=6.1.0-0-kestrel-fixture SMP preempt mod_unload modversions ";
__attribute__((section(".modinfo"), used, aligned(1))) static const char kestrel_fixture_name[] = "name=kestrel";
