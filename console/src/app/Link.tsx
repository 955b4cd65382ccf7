// An in-console link: a real href (open in a new tab works), followed without a reload.

import type { ReactNode } from "react";

import { navigate } from "./route";

interface Props {
  href: string;
  children: ReactNode;
  className?: string;
  label?: string;
  current?: boolean;
}

export function Link({ href, children, className, label, current }: Props) {
  return (
    <a
      href={href}
      className={className}
      aria-label={label}
      aria-current={current ? "page" : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}
