//! Prints the exclusive canonical form of the element with the given Id:
//! `cargo run -p xmldsig --example c14n_id -- FILE ID [PREFIX…]`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: c14n_id FILE ID [PREFIX...]");
        std::process::exit(2);
    }
    let xml = std::fs::read_to_string(&args[1]).expect("readable UTF-8 file");
    let prefixes: Vec<&str> = args[3..].iter().map(String::as_str).collect();
    match xmldsig::c14n::canonicalize_id(&xml, &args[2], &prefixes) {
        Ok(out) => print!("{}", String::from_utf8_lossy(&out)),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
