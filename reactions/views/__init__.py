"""Views: thin, one module per page family. Each checks who may see what, binds a form, calls services and
selectors, and renders or redirects."""
