//! Link settings of the server's binary (nothing else of the build).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // The binary is position-independent, so the dynamic loader applies
    // ~100,000 relative relocations when it starts. As 24-byte RELA
    // entries they are 2.4 MB read at every start and kept mapped (a
    // tenth of an idle server's resident memory that is program file);
    // packed (`DT_RELR`: a bitmap of which words to relocate) they take a
    // few kilobytes. Needs glibc 2.36 at run time (Debian 12, the
    // Dockerfile's image) and binutils 2.38 or lld to link; an older `ld`
    // warns and links the usual table.
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.ends_with("-linux-gnu") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
