/**
 * The MIME frame of an Exchange envelope journal report as the generated (bench, e2e) and
 * hostile reports share it: the report's own headers, the header block of its plain-text
 * envelope part, and that of the message/rfc822 part holding the original. Lines without their
 * line endings; the caller puts the envelope and the original in between.
 */
export interface ReportFrame {
  /** The report's headers through the envelope part's header block (its blank line included). */
  head: string[];
  /** From the end of the envelope to the blank line before the original's headers. */
  original: string[];
  /** The closing boundary. */
  end: string;
}

export const REPORT_DATE = 'Thu, 1 Jan 2026 10:00:00 +0000';

export function reportFrame(report: {
  boundary: string;
  from: string;
  to: string;
  subject: string;
  /** The report's own Message-ID (not the original's). */
  messageId: string;
  /** Header lines before the report's Content-Type (a Received line). */
  leading?: string[];
  /** Header lines after X-MS-Journal-Report. */
  extra?: string[];
}): ReportFrame {
  const { boundary } = report;
  return {
    head: [
      ...(report.leading ?? []),
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      `From: ${report.from}`,
      `To: ${report.to}`,
      `Subject: ${report.subject}`,
      'Sender: MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com',
      `Message-ID: ${report.messageId}`,
      `Date: ${REPORT_DATE}`,
      'X-MS-Journal-Report:',
      ...(report.extra ?? []),
      'MIME-Version: 1.0',
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset="us-ascii"',
      'Content-Transfer-Encoding: 7bit',
      '',
    ],
    original: ['', `--${boundary}`, 'Content-Type: message/rfc822', 'Content-Disposition: attachment', ''],
    end: `--${boundary}--`,
  };
}
