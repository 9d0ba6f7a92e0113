// Sample tickets for the staff triage view (written for the demo).
export const SAMPLES = [
  { id: 'S-1001', subject: 'Password expired', body: 'Hi, Windows says my password has expired and I cannot log in to my laptop. Can you reset it? Thanks, Maria' },
  { id: 'S-1002', subject: 'Outlook keeps asking for my password', body: 'Since this morning Outlook pops up a login box every few minutes. Webmail works fine.' },
  { id: 'S-1003', subject: 'Nobody in the office can reach the file server', body: 'The S: drive is gone for everyone since 9:15, the whole office cannot open any shared files. Urgent!' },
  { id: 'S-1004', subject: 'Clicked a link in a weird email', body: 'I clicked the link in an email about a DHL parcel and typed my password before I noticed. Now I get bounce messages I never sent.' },
  { id: 'S-1005', subject: 'New starter on Monday', body: 'Please set up an account, mailbox and laptop for Jonas Becker (sales), starting next Monday.' },
  { id: 'S-1006', subject: 'Drucker im 2. OG druckt nicht', body: 'Der Drucker im zweiten Stock zeigt Papierstau an, aber es ist kein Papier drin. Können Sie helfen?' },
  { id: 'S-1007', subject: 'VPN disconnects every 10 minutes', body: 'Working from home, the VPN drops every ten minutes and Teams calls freeze. Started after the last update.' },
  { id: 'S-1008', subject: 'Files renamed to .locked', body: 'All files on my desktop now end in .locked and there is a text file asking for bitcoin. What do I do?' },
];
